using System.Collections;

namespace AuthService.Tests.Telemetry;

/// <summary>A list that exporters add to from any thread while tests read copies of it.</summary>
public sealed class LockedCollection<T> : ICollection<T>
{
    private readonly List<T> items = [];

    public int Count
    {
        get
        {
            lock (items) return items.Count;
        }
    }

    public bool IsReadOnly => false;

    public IReadOnlyList<T> Snapshot()
    {
        lock (items) return [.. items];
    }

    public void Add(T item)
    {
        lock (items) items.Add(item);
    }

    public void Clear()
    {
        lock (items) items.Clear();
    }

    public bool Contains(T item)
    {
        lock (items) return items.Contains(item);
    }

    public void CopyTo(T[] array, int arrayIndex)
    {
        lock (items) items.CopyTo(array, arrayIndex);
    }

    public bool Remove(T item)
    {
        lock (items) return items.Remove(item);
    }

    public IEnumerator<T> GetEnumerator() => Snapshot().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
